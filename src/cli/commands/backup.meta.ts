// `hiy backup` as --help and flag parsing know it; every hiy process imports this.
// ./backup.ts, the implementation, is imported only when the command runs.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'backup',
  summary: 'offsite backups (restic): take one now, list, restore, drill, check',
  usage: `backup now [NAME] [--json]          NAME: a Backup of the state repo (the only one when omitted);
                                    snapshots each covered volume, then copies it to the repository
  backup list [RESOURCE] [--backup NAME] [--json]
  backup restore RESOURCE [--id ID] [--to-volume V] [--backup NAME] [--json]
                                    the latest backup (or --id) of each volume of RESOURCE, verified
                                    before anything is replaced; the current content is snapshotted first
  backup drill [RESOURCE] [--backup NAME] [--json]
                                    restores the latest backups into scratch volumes and checks them;
                                    exit 1 when a drill fails
  backup check [NAME] [--json]      restic check of the repository, reading the part of the data
                                    spec.check.readDataSubset says; exit 1 when it finds an error`,
  options: { backup: { type: 'string' }, id: { type: 'string' }, 'to-volume': { type: 'string' } },
  maxArgs: 2,
  load: async () => (await import('./backup.js')).run,
};
