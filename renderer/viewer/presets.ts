// Window presets in Hounsfield units (width, centre), the values radiologists use for CT reading.
export interface WindowPreset {
  id: string;
  windowWidth: number;
  windowCenter: number;
}

export const CT_PRESETS: WindowPreset[] = [
  { id: 'brain', windowWidth: 80, windowCenter: 40 },
  { id: 'subdural', windowWidth: 215, windowCenter: 75 },
  { id: 'stroke', windowWidth: 40, windowCenter: 40 },
  { id: 'lung', windowWidth: 1500, windowCenter: -600 },
  { id: 'mediastinum', windowWidth: 350, windowCenter: 50 },
  { id: 'abdomen', windowWidth: 400, windowCenter: 50 },
  { id: 'liver', windowWidth: 150, windowCenter: 30 },
  { id: 'bone', windowWidth: 1800, windowCenter: 400 },
];
