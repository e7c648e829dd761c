// Which Mesos tasks get service-discovery records: the rule mesos-dns applies. Pure.
// Only TASK_RUNNING tasks on an agent present in the state are published (reference/mesos-dns.md §1.4). The rule is
// in two halves: a task's state is known as soon as the task is parsed (mesos-task.ts), the agents only once the
// whole state is (normalize.ts).

/** The first half: the task's own state. */
export function isRunningState(state: string): boolean {
  return state === 'TASK_RUNNING';
}

/** The second half: its agent is one of the state's (valid) agents. */
export function isOnKnownAgent(agentId: string, knownAgents: ReadonlySet<string>): boolean {
  return knownAgents.has(agentId);
}
