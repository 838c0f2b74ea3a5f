// The exchange as the outbox sees it: does it hold this instance (QIDO-RS), and store these
// (STOW-RS). A refusal of the exchange is a failure of the item, with the exchange's reason.
import { AmurError } from '../common/errors.js';
import type { DicomWebClient } from '../exchange/index.js';
import type { OutboxTarget } from './outbox.js';

export function exchangeTarget(client: DicomWebClient): OutboxTarget {
  return {
    peer: client.host,
    async hasInstance(study, sop) {
      const found = (await client.searchInstances(study, undefined, { '00080018': sop })) as { '00080018'?: { Value?: unknown[] } }[];
      return found.some((i) => i['00080018']?.Value?.[0] === sop);
    },
    async store(study, instances) {
      const r = await client.store(instances, study);
      if (r.failed.length) throw new AmurError('outbox.refused', { sop: r.failed[0]!.sop, reason: r.failed[0]!.reason });
    },
  };
}
