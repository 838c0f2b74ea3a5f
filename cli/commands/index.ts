// Every `amur` command, one file each, loaded only when it runs: loading them all up front cost about
// a second of start-up per invocation (the report command alone pulls pdfkit, dcmjs and fonts).
// `amur help` lists them from `help` below, so that it loads none of them either (it took 2.5 s);
// index.test.ts checks that each line there is the command's own usage and summary.
import type { Command } from '../command.js';

export const help: Record<string, Pick<Command, 'usage' | 'summaryKey'>> = {
  import: { usage: 'import PATH… [--json] [--source NAME]', summaryKey: 'import.cli.summary' },
  studies: { usage: 'studies [--json]', summaryKey: 'studies.cli.summary' },
  serve: { usage: 'serve [--port N]', summaryKey: 'host.cli.serveSummary' },
  start: { usage: 'start [--port N]', summaryKey: 'host.cli.startSummary' },
  triage: { usage: 'triage [--study UID | --all] [--json]', summaryKey: 'triage.cli.summary' },
  models: { usage: 'models list [--json]', summaryKey: 'triage.models.summary' },
  report: { usage: 'report draft|sign …', summaryKey: 'reports.cli.summary' },
  verify: { usage: 'verify FILE|DIR… --trust CERT.pem… [--json]', summaryKey: 'signing.cli.verifySummary' },
  identity: { usage: 'identity import FILE.p12 --name N … | list', summaryKey: 'signing.cli.identitySummary' },
  sign: { usage: 'sign FILE… --identity ID --out DIR [--add]', summaryKey: 'signing.cli.signSummary' },
  pull: { usage: 'pull [--agreement ID] [--json] [--progress]', summaryKey: 'cases.cli.pullSummary' },
  outbox: { usage: 'outbox list [--json]', summaryKey: 'outbox.cli.summary' },
  deliver: { usage: 'deliver [--json]', summaryKey: 'outbox.cli.deliverSummary' },
  hospital: { usage: 'hospital send|receive|original --agreement ID …', summaryKey: 'hospital.cli.summary' },
  agreement: { usage: 'agreement new|import|list …', summaryKey: 'agreements.cli.summary' },
  audit: { usage: 'audit verify|list|export|forward …', summaryKey: 'audit.cli.summary' },
  purge: { usage: 'purge [--dry-run] [--json]', summaryKey: 'purge.cli.summary' },
  vault: { usage: 'vault info [--json] | passphrase --new-passphrase-file F', summaryKey: 'vault.cli.summary' },
};

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
