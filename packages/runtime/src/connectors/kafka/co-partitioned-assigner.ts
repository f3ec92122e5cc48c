import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

/**
 * Gives partition p of every subscribed topic to the same member, so a task (one
 * partition of each input) lives in one process. Partition numbers are dealt out
 * round robin over the members sorted by id, so the result is deterministic.
 */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'StreamGenCoPartitioned',
  version: 1,
  async assign({ members, topics }) {
    const sorted = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
    const partitions = new Set<number>();
    const byTopic = new Map<string, number[]>();
    for (const topic of topics) {
      const ids = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
      byTopic.set(topic, ids);
      ids.forEach((p) => partitions.add(p));
    }
    const plan = new Map<string, Record<string, number[]>>(sorted.map((m) => [m.memberId, {}]));
    [...partitions]
      .sort((a, b) => a - b)
      .forEach((partition, i) => {
        const member = plan.get(sorted[i % sorted.length].memberId) as Record<string, number[]>;
        for (const [topic, ids] of byTopic)
          if (ids.includes(partition)) (member[topic] ??= []).push(partition);
      });
    return sorted.map((m) => ({
      memberId: m.memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: plan.get(m.memberId) ?? {},
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: 'StreamGenCoPartitioned',
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics,
        userData: Buffer.alloc(0),
      }),
    };
  },
});
