// What renderer/report/ adds to the report editor: the study's measurements as the report lists them.
export { ReportMeasurements } from './ReportMeasurements';
