import { loadSettings, type Settings } from '../src/config/settings';

/**
 * Parsed once when the Functions host loads the app, before telemetry and the SDKs: a missing or
 * malformed app setting fails the start with a message naming it, instead of failing the first request.
 */
export const settings: Settings = loadSettings(process.env, { requireAzure: true });
