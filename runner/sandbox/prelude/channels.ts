/**
 * `page.channel(name)` subscriptions of this sandbox's pages. A publish goes to the host, which
 * hands it to every sandbox (`deliver`); each subscriber gets it in its page's mailbox.
 */
import { enqueue } from './mailbox.js';
import type { PageState, Subscription } from './pages.js';

const channels = new Map<string, Set<Subscription>>();

export function subscribe(page: PageState, channel: string, fn: (data: unknown) => unknown): () => void {
  const subscription: Subscription = { page, channel, fn };
  const subscribers = channels.get(channel);
  if (subscribers) subscribers.add(subscription);
  else channels.set(channel, new Set([subscription]));
  page.subscriptions.add(subscription);
  return () => unsubscribe(subscription);
}

export function unsubscribe(subscription: Subscription): void {
  subscription.page.subscriptions.delete(subscription);
  const subscribers = channels.get(subscription.channel);
  if (!subscribers) return;
  subscribers.delete(subscription);
  if (subscribers.size === 0) channels.delete(subscription.channel);
}

export function deliver(channel: string, dataJson: string): void {
  const subscribers = channels.get(channel);
  if (!subscribers) return;
  for (const subscription of subscribers) {
    enqueue(subscription.page, () => subscription.fn(JSON.parse(dataJson)), 'CHANNEL_ERROR');
  }
}
