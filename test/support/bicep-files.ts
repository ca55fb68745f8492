import { join } from 'node:path';

import { INFRA_DIR, readText, resources, type BicepResource } from '../infra/bicep-text';

/** The Bicep files the infra tests read as text (see test/infra/bicep-text.ts). */
export const MODULES = join(INFRA_DIR, 'modules');
export const mainText = readText(join(INFRA_DIR, 'main.bicep'));
export const moduleText = (name: string): string => readText(join(MODULES, name));

export function onlyResource(text: string, type: string): BicepResource {
  const found = resources(text).filter((r) => r.type === type && !r.existing);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  const [only] = found;
  if (!only) throw new Error('unreachable');
  return only;
}
