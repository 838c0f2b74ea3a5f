// What a viewport draws over its image besides the text corners: the orientation markers (from
// Image Orientation (Patient), or Patient Orientation for a projection radiograph), a scale bar
// from the pixel spacing at the current zoom, and the reference line of the active viewport's
// image plane. Each carries data attributes an automated check reads (what is drawn, in numbers).
import cornerstone, { type Viewport as CsViewport } from 'cornerstone-core';
import { useTranslation } from 'react-i18next';
import type { ImagePixelModule } from '../../core/contract/imaging';
import { planeGeometry, referenceLine, type PlaneGeometry } from './geometry';
import { orientationMarkers, patientOrientationMarkers, type Markers } from './orientation';
import { scaleBar } from './scale-bar';
import './overlays.css';

/** The markers of an image under a view, or none when its file says nothing of its orientation. */
export function markersOf(m: ImagePixelModule | undefined, vp: CsViewport | undefined): Markers | undefined {
  if (!m || !vp) return undefined;
  if (m.ImageOrientationPatient) return orientationMarkers(m.ImageOrientationPatient, vp.rotation, vp.hflip, vp.vflip);
  if (m.PatientOrientation) return patientOrientationMarkers(m.PatientOrientation, vp.rotation, vp.hflip, vp.vflip);
  return undefined;
}

/** The letters are DICOM's (A/P/R/L/H/F) in every language, as radiologists read them everywhere. */
export function OrientationMarkers({ markers, source }: { markers: Markers; source: 'ImageOrientationPatient' | 'PatientOrientation' }) {
  return (
    <>
      <div className="marker top" data-testid="marker-top" data-source={source}>{markers.top}</div>
      <div className="marker bottom" data-testid="marker-bottom">{markers.bottom}</div>
      <div className="marker left" data-testid="marker-left">{markers.left}</div>
      <div className="marker right" data-testid="marker-right">{markers.right}</div>
    </>
  );
}

export function ScaleBar({ module: m, viewport: vp, width }: { module: ImagePixelModule; viewport: CsViewport; width: number }) {
  const { t, i18n } = useTranslation();
  const bar = scaleBar(m, vp, width);
  if (!bar) return null;
  const source = m.PixelSpacingSource ?? 'PixelSpacing';
  const title = t(source === 'ImagerPixelSpacing' ? 'ui.viewer.scale.imagerPixelSpacing' : 'ui.viewer.scale.pixelSpacing');
  return (
    <div
      className="scale-bar"
      data-testid="scale-bar"
      data-mm={bar.mm}
      data-screen-px={bar.px.toFixed(2)}
      data-spacing={bar.spacing}
      data-zoom={vp.scale}
      data-source={source}
      title={title}
    >
      <div className="scale-bar-line" style={{ width: `${bar.px}px` }} />
      <span>
        {t('ui.viewer.scale.length', { length: new Intl.NumberFormat(i18n.language).format(bar.mm) })}
        {source === 'ImagerPixelSpacing' ? ' *' : ''}
      </span>
      {/* The explanation is read from the title by a pointer, and here by a screen reader. */}
      <span className="visually-hidden">{title}</span>
    </div>
  );
}

/** The plane of a drawn image, when its file gives position, orientation and spacing. */
export function planeOfModule(m: ImagePixelModule | undefined): PlaneGeometry | undefined {
  if (!m) return undefined;
  return planeGeometry({
    SOPInstanceUID: m.SOPInstanceUID,
    frame: m.frame,
    FrameOfReferenceUID: m.FrameOfReferenceUID,
    ImagePositionPatient: m.ImagePositionPatient,
    ImageOrientationPatient: m.ImageOrientationPatient,
    PixelSpacing: m.PixelSpacing,
    Rows: m.Rows,
    Columns: m.Columns,
  });
}

/**
 * The line along which the active viewport's image plane cuts this one's image, drawn over the
 * canvas; data-line is its end points in this image's pixel coordinates.
 */
export function ReferenceLine({ element, module: m, source, viewport }: { element: HTMLElement | null; module: ImagePixelModule; source: PlaneGeometry; viewport: CsViewport }) {
  const target = planeOfModule(m);
  if (!element || !target || !cornerstone.getImage(element)) return null;
  const line = referenceLine(source, target);
  if (!line) return null;
  const a = cornerstone.pixelToCanvas(element, { x: line.x1, y: line.y1 });
  const b = cornerstone.pixelToCanvas(element, { x: line.x2, y: line.y2 });
  // Canvas coordinates: the SVG spans the canvas and counts in its pixels, whatever its CSS size.
  const canvas = element.querySelector('canvas');
  return (
    <svg
      viewBox={`0 0 ${canvas?.width ?? element.clientWidth} ${canvas?.height ?? element.clientHeight}`}
      preserveAspectRatio="none"
      className="reference-line"
      data-testid="reference-line"
      data-line={[line.x1, line.y1, line.x2, line.y2].map((v) => v.toFixed(2)).join(',')}
      data-zoom={viewport.scale}
      aria-hidden="true"
    >
      <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} />
    </svg>
  );
}
