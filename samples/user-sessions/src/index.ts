export * from './model';
export { UserSessions, SESSION_GAP_MS, type SessionAcc } from './user-sessions.job';
export { DropHeartbeats } from './drop-heartbeats.stage';
export { generateActivity, type ActivityGeneratorOptions } from './activity-generator';
export { referenceSessions, inOrder } from './reference';
export { userSessionsJob } from './user-sessions.spec';
