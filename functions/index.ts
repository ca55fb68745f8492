// Entry point for the Functions host (package.json "main"): loading these modules registers every function.
// Settings first (a bad app setting stops the start with its name), then telemetry: its instrumentation
// hooks the Azure SDKs as they are required.
import { settings } from './settings';
import { configureTelemetry } from './telemetry';
configureTelemetry({ tracesPerSecond: settings.telemetryTracesPerSecond });

import './http';
import './processCommands';
import './recordDeadLetters';
