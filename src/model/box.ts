// What the box can still hold (memory, processes) and what its running containers use: the capacity check's input.

/** What one running container of this instance uses, read from its cgroup. */
export interface ContainerUsage {
  /** The container's image reference, as observed. */
  image: string;
  /** Memory charged to the container's cgroup (memory.current, or memory.usage_in_bytes on cgroup v1). */
  memoryBytes: number;
  /** Processes (tasks) in the container's cgroup (pids.current), when the pids controller is there. */
  pids?: number;
}

/**
 * The box's free memory and process room, read by src/drivers/host/box.ts just before a plan that starts
 * containers is judged (src/plan/capacity.ts). Every number says where it came from, for the message.
 */
export interface BoxFacts {
  memory: {
    /** Memory new containers may take: MemAvailable, lowered by a cgroup limit or HIY_BOX_MEMORY_LIMIT. */
    availableBytes: number;
    /** Where availableBytes came from, e.g. `MemAvailable of /proc/meminfo`. */
    source: string;
  };
  pids: {
    /** Processes (threads) that may still start: the tightest limit minus what runs. */
    free: number;
    /** The tightest limit, e.g. 32768. */
    limit: number;
    /** Where it came from, e.g. `kernel.pid_max`. */
    source: string;
  };
  /**
   * HIY_BOX_MEMORY_LIMIT: what this instance's containers may use in all. The check subtracts what its running
   * containers use (measured, or estimated like new ones) before comparing.
   */
  memoryLimitBytes?: number;
  /** HIY_BOX_PIDS_LIMIT: processes this instance's containers may run in all (conmon included). */
  pidsLimit?: number;
  /** Measured use of a sample of this instance's running containers (a few per image). */
  measured: ContainerUsage[];
}
