// A workload's scheduled jobs as CronJobs: the same image, env, secrets and volumes, one run at a time. Pure.
import { parseDuration } from '../model/quantity.js';
import type { AppResource } from '../model/resources.js';

import type { DesiredWorkload } from '../model/workload.js';
import { NAME_LABEL, workloadLabels } from './names.js';
import { containerOf, podVolumes } from './podSpec.js';
import type { ExportWarning, KubeObject } from './types.js';

type Job = NonNullable<AppResource['spec']['jobs']>[number];

/**
 * A HIY schedule as a Kubernetes one: five fields. HIY also takes six, seconds first; Kubernetes runs at most
 * once a minute, so the seconds field is dropped, with a warning unless it was `0`.
 */
export function kubeSchedule(schedule: string): { schedule: string; droppedSeconds?: string } {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 6) return { schedule: fields.join(' ') };
  const [seconds, ...rest] = fields;
  return { schedule: rest.join(' '), ...(seconds !== '0' && { droppedSeconds: seconds }) };
}

export function cronJobsOf(
  w: DesiredWorkload,
  jobs: readonly Job[],
  timeZone: string | undefined,
): { objects: KubeObject[]; warnings: ExportWarning[] } {
  const objects: KubeObject[] = [];
  const warnings: ExportWarning[] = [];
  const volumes = podVolumes(w);
  for (const [i, job] of jobs.entries()) {
    const { schedule, droppedSeconds } = kubeSchedule(job.schedule);
    if (droppedSeconds !== undefined)
      warnings.push({
        resource: w.id,
        field: `spec.jobs[${i}].schedule`,
        message: `Kubernetes runs CronJobs at most once a minute: the seconds field "${droppedSeconds}" of "${job.schedule}" was dropped`,
      });
    const container = { ...containerOf(w, { probes: false }), command: job.command, args: [] };
    delete (container as { ports?: unknown }).ports;
    objects.push({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: `${w.name}-${job.name}`, labels: workloadLabels(w) },
      spec: {
        schedule,
        ...(timeZone && { timeZone }),
        concurrencyPolicy: 'Forbid',
        jobTemplate: {
          spec: {
            activeDeadlineSeconds: Math.max(1, Math.ceil(parseDuration(job.timeout) / 1000)),
            backoffLimit: 0,
            template: {
              // Not the workload's name label: its Service and Deployment must not select a job's pod.
              metadata: { labels: { ...workloadLabels(w), [NAME_LABEL]: `${w.name}-${job.name}` } },
              spec: {
                restartPolicy: 'Never',
                containers: [container],
                ...(volumes.length > 0 && { volumes }),
              },
            },
          },
        },
      },
    });
  }
  return { objects, warnings };
}
