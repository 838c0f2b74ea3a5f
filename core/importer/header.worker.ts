// A header-reading worker thread of the HeaderPool: reads one file's DICOM header per task.
import { serveTasks } from '../common/pool-worker.js';
import { readDicomHeaderFromFile } from '../dicom/header.js';

await serveTasks((path: string) => readDicomHeaderFromFile(path));
