// The demos of `memlens demo`, by name, in the order a reader meets the lessons.
import { cow } from './demos/cow.js';
import { faults } from './demos/faults.js';
import { free } from './demos/free.js';
import { oom } from './demos/oom.js';
import { reserve } from './demos/reserve.js';
import { sharedLibs } from './demos/shared-libs.js';
import type { Demo } from './lab.js';
import type { DemoName } from './types.js';

export const DEMOS: ReadonlyMap<DemoName, Demo> = new Map(
  [reserve, faults, cow, sharedLibs, free, oom].map((d) => [d.name, d]),
);

export { cacheDir, LabError, LabUnavailableError } from './build.js';
export type { Demo, LabHooks, LabOptions } from './lab.js';
export { MiB, runDemo } from './lab.js';
export { renderHeader, renderStep, renderSummary } from './render.js';
export type { DemoReport, DemoStep } from './types.js';
export { DEMO_NAMES } from './types.js';
