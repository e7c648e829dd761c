// Which Mesos tasks get service-discovery records: the rule mesos-dns applies. Pure.

/** Only TASK_RUNNING tasks on an agent present in the state are published (reference/mesos-dns.md §1.4). */
export function isRunnable(state: string, agentId: string, knownAgents: ReadonlySet<string>): boolean {
  return state === 'TASK_RUNNING' && knownAgents.has(agentId);
}
