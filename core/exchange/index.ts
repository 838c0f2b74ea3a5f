// The network edge of Amur: DICOMweb (exchange point, DICOMweb PACS) and DIMSE (a PACS that speaks
// nothing else). Everything above this folder talks to a DicomWebClient or to the dimse functions.
export { DicomWebClient, networkError, type Credentials, type DicomJson, type DicomWebOptions, type StoreResult } from './dicomweb.js';
export { dimseGetStudy, dimseStore, parsePeerUrl, type DimsePeer, type DimseStoreResult } from './dimse.js';
export { boundaryOf, MultipartReader, multipartBody, type Part } from './multipart.js';
