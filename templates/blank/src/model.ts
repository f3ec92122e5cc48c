export interface Event {
  key: string;
  ts: number;
}

export interface Count {
  key: string;
  count: number;
}
