// Measurements in the viewer: the toolbar group, the panel beside the images, and the hook the
// report editor uses. Import from here, never the parts.
export { MeasureTools } from './MeasureTools';
export { MeasurePanel } from './MeasurePanel';
export { MeasurementList } from './MeasurementList';
export { useMeasurements } from './state';
export { formatValue, formatValues, unitText } from './format';
export { setInReport } from './sync';
export type { MeasurementPlace } from './MeasurementList';
