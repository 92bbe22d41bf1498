/** Injection tokens of the delivery module's plain-class services. */
export const DELIVERY_HOST_HEALTH = Symbol('DELIVERY_HOST_HEALTH');
export const DELIVERY_SLOTS = Symbol('DELIVERY_SLOTS');
export const DELIVERY_SENDER = Symbol('DELIVERY_SENDER');
