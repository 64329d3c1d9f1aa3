"""A carrier's batch of scans: each is accepted, a duplicate, or rejected with a reason.

Idempotent per (carrier, event_id): an id seen before (in an earlier batch or earlier in this
one) is a duplicate and changes nothing. An item that is not a well-formed scan was already
judged by the route (`UnreadableScan`): it is answered rejected in its place. Rejected scans are not recorded, so a corrected
resend under the same id is judged again. All fulfillments the batch touches are locked in
id order up front, so concurrent batches serialise instead of deadlocking.
"""

from __future__ import annotations

from fulfillment_svc.domain.scans import ACCEPTED, DUPLICATE, CarrierScan, ScanOutcome, UnreadableScan, apply_scan
from fulfillment_svc.service_layer.commands import RecordCarrierScans
from fulfillment_svc.service_layer.context import ServiceContext
from fulfillment_svc.service_layer.locking import save_and_record
from fulfillment_svc.service_layer.ports import FulfillmentUnitOfWork, ScanClaim, TransientConflict
from fulfillment_svc.service_layer.runner import Reply


async def record_scans(ctx: ServiceContext, uow: FulfillmentUnitOfWork, command: RecordCarrierScans) -> Reply:
    carrier = command.carrier
    readable = [s for s in command.scans if isinstance(s, CarrierScan)]
    owners = await uow.fulfillments.fulfillment_ids_tracking(carrier, (s.tracking_number for s in readable))
    held = await uow.fulfillments.lock_many(owners.values())
    seen = await uow.scans.seen(carrier, (s.event_id for s in readable))
    now = ctx.clock()
    results: list[dict] = []
    claims: list[ScanClaim] = []
    changed: set[str] = set()
    for scan in command.scans:
        if isinstance(scan, UnreadableScan):
            results.append(scan.outcome().to_data())
            continue
        if scan.event_id in seen:
            results.append(
                ScanOutcome(scan.event_id, DUPLICATE, code=DUPLICATE, reason="this event_id was already received").to_data()
            )
            continue
        fulfillment = held.get(owners.get(scan.tracking_number, ""))
        if fulfillment is None:
            outcome = apply_scan(None, carrier, scan, now=now)
        else:
            outcome = fulfillment.record_scan(
                carrier, scan, clock_skew_allowance=ctx.policy.clock_skew_allowance, now=now
            )
        if outcome.outcome == ACCEPTED and fulfillment is not None and outcome.shipment is not None:
            seen.add(scan.event_id)
            changed.add(fulfillment.fulfillment_id)
            claims.append(
                ScanClaim(
                    event_id=scan.event_id,
                    tracking_number=scan.tracking_number,
                    shipment_id=outcome.shipment.shipment_id,
                    status=scan.status,
                    occurred_at=scan.occurred_at,
                    applied=outcome.applied,
                )
            )
        results.append(outcome.to_data())
    recorded = await uow.scans.claim(carrier, claims)
    if len(recorded) != len(claims):
        # another batch recorded one of these ids for a different shipment meanwhile: judge it again
        raise TransientConflict("a concurrent batch recorded some of these scans")
    await save_and_record(uow, [held[fulfillment_id] for fulfillment_id in sorted(changed)])
    return Reply(200, {"results": results})
