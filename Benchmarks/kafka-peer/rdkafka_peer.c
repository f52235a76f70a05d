/* The plain librdkafka client the Swift wrapper is measured against: the same messages,
 * partitions and settings (idempotent, linger 5 ms, murmur2 partitioner, no compression),
 * produced then consumed by a consumer group. Prints the same lines as `cablecar-bench kafka`.
 * Build: cc -O2 -o rdkafka_peer rdkafka_peer.c $(pkg-config --cflags --libs rdkafka) */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
    char err[512];
    if (rd_kafka_conf_set(conf, name, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "config %s: %s\n", name, err);
        exit(2);
    }
}

static long delivered_ok = 0;
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    if (!m->err) delivered_ok++;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s BROKERS TOPIC MESSAGES [SIZE]\n", argv[0]); return 2; }
    const char *brokers = argv[1], *topic = argv[2];
    long messages = atol(argv[3]);
    int size = argc > 4 ? atoi(argv[4]) : 200;
    char err[512];
    char *payload = malloc(size);
    memset(payload, 'a', size);

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", brokers);
    set(conf, "linger.ms", "5");
    set(conf, "batch.size", "1000000");
    set(conf, "enable.idempotence", "true");
    set(conf, "compression.codec", "none");
    set(conf, "partitioner", "murmur2_random");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!producer) { fprintf(stderr, "%s\n", err); return 1; }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(producer, topic, NULL);
    double start = now();
    char key[16];
    for (long i = 0; i < messages; i++) {
        int keylen = snprintf(key, sizeof key, "%ld", i % 1000);
        while (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, payload, size, key, keylen, NULL) == -1) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) { fprintf(stderr, "produce failed\n"); return 1; }
            rd_kafka_poll(producer, 1);
        }
        rd_kafka_poll(producer, 0);
    }
    rd_kafka_flush(producer, 300000);
    double produced = now() - start;
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(producer);
    if (delivered_ok != messages) { fprintf(stderr, "only %ld of %ld delivered\n", delivered_ok, messages); return 1; }

    conf = rd_kafka_conf_new();
    char group[256];
    snprintf(group, sizeof group, "%s-group", topic);
    set(conf, "bootstrap.servers", brokers);
    set(conf, "group.id", group);
    set(conf, "auto.offset.reset", "earliest");
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    long received = 0;
    double first = 0;
    while (received < messages) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 1000);
        if (!m) continue;
        if (!m->err) { if (!received) first = now(); received++; }
        rd_kafka_message_destroy(m);
    }
    double consumed = now() - first;
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    printf("plain-librdkafka produce %ld msgs in %.3f s = %.0f msg/s\n", messages, produced, messages / produced);
    printf("plain-librdkafka consume %ld msgs in %.3f s = %.0f msg/s\n", received, consumed, received / consumed);
    return 0;
}
