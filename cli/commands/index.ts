// Every `amur` command, one file each, loaded only when it runs: loading them all up front cost about
// a second of start-up per invocation (the report command alone pulls pdfkit, dcmjs and fonts).
import type { Command } from '../command.js';

export const commands: Record<string, () => Promise<Command>> = {
  import: async () => (await import('./import.js')).importCommand,
  studies: async () => (await import('./studies.js')).studiesCommand,
  serve: async () => (await import('./serve.js')).serveCommand,
  start: async () => (await import('./start.js')).startCommand,
  triage: async () => (await import('./triage.js')).triageCommand,
  models: async () => (await import('./models.js')).modelsCommand,
  report: async () => (await import('./report.js')).reportCommand,
  verify: async () => (await import('./verify.js')).verifyCommand,
  identity: async () => (await import('./identity.js')).identityCommand,
  sign: async () => (await import('./sign.js')).signCommand,
  pull: async () => (await import('./pull.js')).pullCommand,
  outbox: async () => (await import('./outbox.js')).outboxCommand,
  deliver: async () => (await import('./deliver.js')).deliverCommand,
  hospital: async () => (await import('./hospital.js')).hospitalCommand,
  agreement: async () => (await import('./agreement.js')).agreementCommand,
  audit: async () => (await import('./audit.js')).auditCommand,
  purge: async () => (await import('./purge.js')).purgeCommand,
  vault: async () => (await import('./vault.js')).vaultCommand,
};
