#!/bin/bash
# Creates the OrderPulse topics on the compose Kafka (run once by the topic-init service).
# 12 partitions everywhere (events.md); replication 1 on this single broker; the customers topic
# is compacted (customer profiles: the latest per customer id is what matters).
set -euo pipefail

bootstrap="${KAFKA_BOOTSTRAP:-kafka:9092}"
partitions="${TOPIC_PARTITIONS:-12}"
topics_cli=/opt/kafka/bin/kafka-topics.sh

create() {
  local topic="$1"
  shift
  "${topics_cli}" --bootstrap-server "${bootstrap}" --create --if-not-exists \
    --topic "${topic}" --partitions "${partitions}" --replication-factor 1 "$@"
}

create orderpulse.customers --config cleanup.policy=compact
create orderpulse.orders
create orderpulse.fulfillment
create orderpulse.notifications
create orderpulse.feedback
for service in order-svc fulfillment-svc notify-svc feedback-svc kpi-svc; do
  create "orderpulse.dlq.${service}"
done

"${topics_cli}" --bootstrap-server "${bootstrap}" --list
