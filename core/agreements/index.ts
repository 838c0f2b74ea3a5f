// Agreements' public face: the signed agreement document (agreement.ts) and its store under
// AMUR_HOME (store.ts). Other areas import from here only; README.md beside this file has the
// format and the verification rules.
export {
  AGREEMENT_FORMAT,
  SIGNATURE_ALGORITHMS,
  DEFAULT_TURNAROUND_HOURS,
  DEFAULT_RETENTION_DAYS,
  DEFAULT_DEIDENTIFICATION_OPTIONS,
  canonicalJson,
  canonicalBytes,
  validateAgreement,
  createAgreement,
  verifyAgreement,
  isActive,
  coversModality,
  authorisedReader,
  deadline,
  subjectOf,
  type Agreement,
  type AgreementFields,
  type SignedAgreement,
  type SignatureAlgorithm,
  type Priority,
  type VerifyOptions,
} from './agreement.js';
export {
  importAgreement,
  getAgreement,
  listAgreements,
  credentialsFor,
  removeAgreement,
  agreementIds,
  agreementsDir,
  type AgreementCredentials,
  type AgreementSummary,
} from './store.js';
