/**
 * Consumer-group coordination for the Kafka test broker, modelled on the classic (pre-KIP-848)
 * group protocol: Empty → PreparingRebalance → CompletingRebalance → Stable, with a new
 * generation per completed join. It works on decoded requests and answers through callbacks, so
 * JoinGroup and SyncGroup can be held until the whole group has caught up.
 *
 * Each group's last stable (or empty) generation is written to the store, the way Kafka writes
 * group metadata to __consumer_offsets, and a new coordinator on the same store loads it: members
 * of a restarted broker keep their ids, generation and assignment, and those that do not come back
 * are evicted when their session times out.
 *
 * Deliberate simplifications: no static membership, no initial rebalance delay, and no minimum or
 * maximum session timeout.
 */
import { randomUUID } from 'node:crypto';

import type { GroupProtocol, StoredGroup } from './broker-store.js';
import { ErrorCode } from './protocol.js';

/** What JoinGroup answers. `members` is filled for the leader only. */
export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocol: string;
  leaderId: string;
  memberId: string;
  members: { memberId: string; metadata: Buffer }[];
}

export interface JoinRequest {
  groupId: string;
  memberId: string;
  clientId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
}

type JoinReply = (result: JoinResult) => void;
type SyncReply = (errorCode: number, assignment: Buffer) => void;
type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

interface Member {
  id: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  assignment: Buffer;
  pendingJoin: JoinReply | null;
  pendingSync: SyncReply | null;
  sessionTimer: NodeJS.Timeout;
}

interface Group {
  id: string;
  state: GroupState;
  generationId: number;
  protocol: string;
  leaderId: string;
  members: Map<string, Member>;
  rebalanceTimer: NodeJS.Timeout | null;
}

const EMPTY = Buffer.alloc(0);

function joinError(errorCode: number, memberId: string): JoinResult {
  return { errorCode, generationId: -1, protocol: '', leaderId: '', memberId, members: [] };
}

function sameProtocols(a: GroupProtocol[], b: GroupProtocol[]): boolean {
  return (
    a.length === b.length &&
    a.every((p, i) => p.name === b[i]?.name && p.metadata.equals(b[i].metadata))
  );
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();

  /** `stored` is read now and then kept up to date with every stable or empty generation. */
  constructor(private readonly stored: Map<string, StoredGroup>) {
    for (const [groupId, snapshot] of stored) {
      const group = this.groupFor(groupId);
      group.generationId = snapshot.generationId;
      group.protocol = snapshot.protocol;
      group.leaderId = snapshot.leaderId;
      group.state = snapshot.members.length > 0 ? 'Stable' : 'Empty';
      for (const m of snapshot.members) {
        const member = this.addMember(group, m.id, m);
        member.assignment = m.assignment;
      }
    }
  }

  /** JoinGroup: answers (possibly much later) once the rebalance it triggers or joins completes. */
  join(request: JoinRequest, reply: JoinReply): void {
    const immediate = this.joinOrPark(request, reply);
    if (immediate) reply(immediate);
  }

  /** Returns the answer if there is one now; otherwise parks `reply` on the member. */
  private joinOrPark(request: JoinRequest, reply: JoinReply): JoinResult | undefined {
    const { groupId, memberId } = request;
    if (groupId === '') return joinError(ErrorCode.INVALID_GROUP_ID, memberId);
    if (request.sessionTimeoutMs <= 0) {
      return joinError(ErrorCode.INVALID_SESSION_TIMEOUT, memberId);
    }
    const group = this.groupFor(groupId);
    if (!this.acceptsProtocols(group, memberId, request)) {
      return joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId);
    }

    let member: Member;
    if (memberId === '') {
      member = this.addMember(group, `${request.clientId || 'member'}-${randomUUID()}`, request);
    } else {
      const known = group.members.get(memberId);
      if (!known) return joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId);
      member = known;
      member.sessionTimer.refresh();
      const unchanged = sameProtocols(member.protocols, request.protocols);
      const isLeader = member.id === group.leaderId;
      if (
        unchanged &&
        (group.state === 'CompletingRebalance' || (group.state === 'Stable' && !isLeader))
      ) {
        // A repeated join that changes nothing gets the current generation back, no rebalance.
        return this.joinResult(group, member);
      }
      member.protocols = request.protocols;
      member.protocolType = request.protocolType;
      if (member.sessionTimeoutMs !== request.sessionTimeoutMs) {
        clearTimeout(member.sessionTimer);
        member.sessionTimer = this.sessionTimer(group, member.id, request.sessionTimeoutMs);
        member.sessionTimeoutMs = request.sessionTimeoutMs;
      }
      member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
      member.pendingJoin?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, memberId));
    }
    member.pendingJoin = reply;
    if (group.state !== 'PreparingRebalance') this.prepareRebalance(group);
    this.tryCompleteJoin(group);
    return undefined;
  }

  /** SyncGroup: the leader's call distributes assignments; followers wait for it. */
  sync(
    groupId: string,
    generationId: number,
    memberId: string,
    assignments: Map<string, Buffer>,
    reply: SyncReply,
  ): void {
    const immediate = this.syncOrPark(groupId, generationId, memberId, assignments, reply);
    if (immediate) reply(immediate.errorCode, immediate.assignment);
  }

  private syncOrPark(
    groupId: string,
    generationId: number,
    memberId: string,
    assignments: Map<string, Buffer>,
    reply: SyncReply,
  ): { errorCode: number; assignment: Buffer } | undefined {
    const error = (errorCode: number) => ({ errorCode, assignment: EMPTY });
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return error(ErrorCode.UNKNOWN_MEMBER_ID);
    if (generationId !== group.generationId) return error(ErrorCode.ILLEGAL_GENERATION);
    member.sessionTimer.refresh();
    switch (group.state) {
      case 'Empty':
        return error(ErrorCode.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        return error(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        return { errorCode: ErrorCode.NONE, assignment: member.assignment };
      case 'CompletingRebalance':
        member.pendingSync = reply;
        if (memberId !== group.leaderId) return undefined;
        group.state = 'Stable';
        for (const m of group.members.values()) m.assignment = assignments.get(m.id) ?? EMPTY;
        this.persist(group);
        for (const m of group.members.values()) {
          const pending = m.pendingSync;
          m.pendingSync = null;
          pending?.(ErrorCode.NONE, m.assignment);
        }
        return undefined;
    }
  }

  /** Heartbeat: keeps the session alive and tells members when they must rejoin. */
  heartbeat(groupId: string, generationId: number, memberId: string): number {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    member.sessionTimer.refresh();
    if (group.state === 'PreparingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /** LeaveGroup: removes the member at once and rebalances the rest. */
  leave(groupId: string, memberId: string): number {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeAndRebalance(group, member);
    return ErrorCode.NONE;
  }

  /**
   * Whether an OffsetCommit from this member/generation may be stored. Commits with a negative
   * generation are "simple" commits, allowed only while the group has no members.
   */
  checkCommit(groupId: string, generationId: number, memberId: string): number {
    const group = this.groups.get(groupId);
    if (!group || group.state === 'Empty') {
      return generationId < 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
    }
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    member.sessionTimer.refresh();
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /** Cancels every timer (the broker is stopping); pending joins and syncs are dropped. */
  shutdown(): void {
    for (const group of this.groups.values()) {
      if (group.rebalanceTimer) clearTimeout(group.rebalanceTimer);
      for (const member of group.members.values()) clearTimeout(member.sessionTimer);
    }
    this.groups.clear();
  }

  private groupFor(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (!group) {
      group = {
        id: groupId,
        state: 'Empty',
        generationId: 0,
        protocol: '',
        leaderId: '',
        members: new Map(),
        rebalanceTimer: null,
      };
      this.groups.set(groupId, group);
    }
    return group;
  }

  private acceptsProtocols(group: Group, memberId: string, request: JoinRequest): boolean {
    if (request.protocols.length === 0) return false;
    const others = [...group.members.values()].filter((m) => m.id !== memberId);
    return (
      others.every((m) => m.protocolType === request.protocolType) &&
      request.protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)))
    );
  }

  private addMember(
    group: Group,
    id: string,
    settings: Pick<
      Member,
      'sessionTimeoutMs' | 'rebalanceTimeoutMs' | 'protocolType' | 'protocols'
    >,
  ): Member {
    const member: Member = {
      id,
      sessionTimeoutMs: settings.sessionTimeoutMs,
      rebalanceTimeoutMs: settings.rebalanceTimeoutMs,
      protocolType: settings.protocolType,
      protocols: settings.protocols,
      assignment: EMPTY,
      pendingJoin: null,
      pendingSync: null,
      sessionTimer: this.sessionTimer(group, id, settings.sessionTimeoutMs),
    };
    group.members.set(id, member);
    return member;
  }

  private sessionTimer(group: Group, memberId: string, timeoutMs: number): NodeJS.Timeout {
    return setTimeout(() => {
      const member = group.members.get(memberId);
      if (member) this.expire(group, member);
    }, timeoutMs).unref();
  }

  private expire(group: Group, member: Member): void {
    if (member.pendingJoin || member.pendingSync) {
      // A member parked in JoinGroup/SyncGroup cannot heartbeat; the rebalance timeout covers it.
      member.sessionTimer.refresh();
      return;
    }
    this.removeAndRebalance(group, member);
  }

  private removeAndRebalance(group: Group, member: Member): void {
    this.removeMember(group, member);
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') {
      this.prepareRebalance(group);
    }
    this.tryCompleteJoin(group);
  }

  private removeMember(group: Group, member: Member): void {
    clearTimeout(member.sessionTimer);
    group.members.delete(member.id);
    member.pendingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.id));
    member.pendingSync?.(ErrorCode.UNKNOWN_MEMBER_ID, EMPTY);
    member.pendingJoin = null;
    member.pendingSync = null;
  }

  private prepareRebalance(group: Group): void {
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        const pending = m.pendingSync;
        m.pendingSync = null;
        pending?.(ErrorCode.REBALANCE_IN_PROGRESS, EMPTY);
      }
    }
    group.state = 'PreparingRebalance';
    if (group.rebalanceTimer) clearTimeout(group.rebalanceTimer);
    const timeoutMs = Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs));
    group.rebalanceTimer = setTimeout(() => {
      this.completeJoin(group);
    }, timeoutMs).unref();
  }

  private tryCompleteJoin(group: Group): void {
    if (
      group.state === 'PreparingRebalance' &&
      [...group.members.values()].every((m) => m.pendingJoin !== null)
    ) {
      this.completeJoin(group);
    }
  }

  /** Ends the join phase: drops members that did not rejoin and answers everyone who did. */
  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    if (group.rebalanceTimer) clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = null;
    for (const m of [...group.members.values()]) {
      if (!m.pendingJoin) this.removeMember(group, m);
    }
    group.generationId += 1;
    const members = [...group.members.values()];
    if (members.length === 0) {
      group.state = 'Empty';
      group.protocol = '';
      group.leaderId = '';
      this.persist(group);
      return;
    }
    const leader = group.members.get(group.leaderId) ?? members[0];
    if (leader === undefined) return; // members is not empty here
    group.leaderId = leader.id;
    group.protocol =
      leader.protocols.find((p) => members.every((m) => m.protocols.some((q) => q.name === p.name)))
        ?.name ?? '';
    group.state = 'CompletingRebalance';
    for (const m of members) {
      const pending = m.pendingJoin;
      m.pendingJoin = null;
      m.sessionTimer.refresh();
      pending?.(this.joinResult(group, m));
    }
  }

  private persist(group: Group): void {
    this.stored.set(group.id, {
      generationId: group.generationId,
      protocol: group.protocol,
      leaderId: group.leaderId,
      members: [...group.members.values()].map((m) => ({
        id: m.id,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        protocolType: m.protocolType,
        protocols: m.protocols,
        assignment: m.assignment,
      })),
    });
  }

  private joinResult(group: Group, member: Member): JoinResult {
    const isLeader = member.id === group.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocol: group.protocol,
      leaderId: group.leaderId,
      memberId: member.id,
      members: isLeader
        ? [...group.members.values()].map((m) => ({
            memberId: m.id,
            metadata: m.protocols.find((p) => p.name === group.protocol)?.metadata ?? EMPTY,
          }))
        : [],
    };
  }
}
