import type { Config } from '../config.js';
import type { Sender } from '../domain/ports.js';
import { DestinationPolicy } from './destination-policy.js';
import { createGotSender } from './got-sender.js';

/**
 * The sender and SSRF guard as the config describes them: one definition for
 * the inline executor, the API's enqueue check and every BullMQ worker.
 */
export function destinationPolicyFromConfig(config: Config): DestinationPolicy {
  return new DestinationPolicy({
    allowPrivateNetworks: config.security.allowPrivateNetworks,
    allowHosts: config.security.allowHosts,
  });
}

export function senderFromConfig(config: Config): Sender {
  return createGotSender({
    maxResponseBytes: config.delivery.maxResponseBytes,
    followRedirects: config.delivery.followRedirects,
    userAgent: config.delivery.userAgent,
    signing: config.signing,
    destinations: destinationPolicyFromConfig(config),
    maxSockets: config.delivery.perHostConcurrency,
  });
}
