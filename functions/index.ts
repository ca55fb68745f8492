// Entry point for the Functions host (package.json "main"): loading these modules registers every function.
import './http';
import './processCommands';
