// Entry point for the Functions host (package.json "main"): loading these modules registers every function.
// Telemetry first: its instrumentation hooks the Azure SDKs as they are required.
import { configureTelemetry } from './telemetry';
configureTelemetry();

import './http';
import './processCommands';
