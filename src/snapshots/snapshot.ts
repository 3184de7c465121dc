// Verified snapshots of Podman volumes: the folder's public API. The format is in manifest.ts, taking one in
// take.ts, verifying and restoring in restore.ts, the stored ones in list.ts, reading archives in tarScan.ts.
export { discardIncomplete, listSnapshots, pruneSnapshots, removeSnapshot } from './list.js';
export {
  type RestoreResult,
  SNAPSHOT_ARCHIVE_FILE,
  SNAPSHOT_MANIFEST_FILE,
  type SnapshotDeps,
  SnapshotError,
  type SnapshotManifest,
  type SnapshotReason,
  snapshotArchivePath,
  snapshotId,
  type TakeSnapshotOptions,
  type VolumeCount,
} from './manifest.js';
export { restoreSnapshot, verifySnapshot } from './restore.js';
export { adoptArchive, takeSnapshot } from './take.js';
