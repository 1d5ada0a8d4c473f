import { asCommandReply, commandEnvelopeSchema } from './command.types';

describe('command wire shapes', () => {
  it('accepts a well-formed envelope and names the bad fields of a broken one', () => {
    const envelope = {
      type: 'ReserveStock',
      data: { sku: 'KIT-001', quantity: 1 },
      metadata: {
        commandId: '8aafff67-1fa1-8c15-b0be-78b435eadfa4',
        correlationId: 'order-1',
        causationId: 'event-1',
        actor: { id: 'checkout', role: 'system' },
        occurredAt: '2030-01-02T03:04:05.000Z',
      },
    };
    expect(commandEnvelopeSchema.safeParse(envelope).success).toBe(true);
    const broken = commandEnvelopeSchema.safeParse({
      ...envelope,
      type: 'reserve.stock',
      metadata: { ...envelope.metadata, commandId: 'nope' },
    });
    expect(broken.success).toBe(false);
    expect(broken.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual([
      'metadata.commandId',
      'type',
    ]);
  });

  it('recognises both kinds of reply and nothing else', () => {
    expect(asCommandReply({ ok: true, version: 1, checkpoint: 'c', result: { orderId: 'o' } })).toEqual({
      ok: true,
      version: 1,
      checkpoint: 'c',
      result: { orderId: 'o' },
    });
    expect(asCommandReply({ ok: false, status: 409, code: 'X', message: 'm' })).toMatchObject({ ok: false });
    expect(asCommandReply({ ok: false, status: 200, code: 'X', message: 'm' })).toBeUndefined();
    expect(asCommandReply('ok')).toBeUndefined();
    expect(asCommandReply(undefined)).toBeUndefined();
  });
});
