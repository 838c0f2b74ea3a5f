// The signing capability's public face: identities (PKCS#12, stored identities), DICOM digital
// signatures, PDF signatures, the SM2 package signature, and verification. Other areas import from
// here only; see README.md beside this file for the contract and the formats.
export { readPkcs12, keyAlgorithmOf, type SigningIdentity, type KeyAlgorithm } from './pkcs12.js';
export { importIdentity, identityCertificate, listIdentities, openIdentity, loadIdentity, type IdentitySummary } from './identity-store.js';
export { assertUsableForSigning, checkSigner, commonName, loadCertificates, oneLine, signerInfo, type Problem, type SignerInfo } from './certificates.js';
export { observerFromCertificate, subjectAttributes, type CertificateObserver } from './observer.js';
export {
  signDicom,
  verifyDicomSignatures,
  addDicomTimestamps,
  signaturesWithoutTimestamp,
  SIGNATURE_PURPOSES,
  type DicomSignOptions,
  type DicomSignatureCheck,
  type SignaturePurpose,
} from './dicom-signature.js';
export { signPdf, addPdfTimestamps, verifyPdfSignatures, type PdfSignOptions, type PdfSignatureCheck } from './pdf-signature.js';
export { buildDetachedCms, verifyDetachedCms, addCmsSignatureTimestamp, cmsSignatureTimestamp, cmsSignatureValue } from './cms.js';
export {
  signPackageSm2,
  writeSignedPackage,
  verifyPackageSm2,
  manifestBytes,
  MANIFEST_NAME,
  SIGNATURE_SUFFIX,
  SM2_DEFAULT_USER_ID,
  type PackageFile,
  type Manifest,
  type SignedPackage,
  type Sm2PackageCheck,
} from './sm2-package.js';
export {
  requestTimestamp,
  verifyTimestampToken,
  verifyTimestampOf,
  buildTimestampRequest,
  parseTimestampResponse,
  readTimestampToken,
  isTimeStampingCertificate,
  TIMESTAMP_OIDS,
  type RequestTimestampOptions,
  type TimestampCheck,
  type TstInfo,
} from './timestamp.js';
export { verifyFile, verifyBytes, type FileVerification, type SignatureCheck } from './verify.js';
