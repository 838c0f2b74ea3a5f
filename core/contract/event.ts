// How a service of the contract announces things: an event is a function that takes a listener
// and returns its unsubscribe. A file of its own, depending on nothing, so that every service's
// contract file can use it without importing services.ts, which imports them all.
export type Unsubscribe = () => void;
export type Event<T> = (listener: (value: T) => void) => Unsubscribe;
