// The audit event's types live in the contract (the UI shows a study's audit); this is their name in core/audit.
export * from '../contract/audit.js';
