export interface Order {
  orderId: string;
  customerId: string;
  amount: number;
  ts: number;
}

export interface Payment {
  paymentId: string;
  orderId: string;
  method: 'card' | 'voucher' | 'transfer';
  ts: number;
}

/** One per order: paid (with the payment) or unpaid when none came within the deadline. */
export interface OrderStatus {
  orderId: string;
  status: 'paid' | 'unpaid';
  amount: number;
  paymentId: string | null;
  paidAfterMs: number | null;
}
