// The explicit data commands, one module for their callers: snapshot commands and volume commands.
export * from './snapshotCommands.js';
export * from './volumeCommands.js';
