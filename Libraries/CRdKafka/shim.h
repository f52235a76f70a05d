#ifndef CABLECAR_CRDKAFKA_SHIM_H
#define CABLECAR_CRDKAFKA_SHIM_H
// librdkafka >= 2.8 is required (the local broker rejects older handshakes);
// scripts/bootstrap installs it into /usr/local.
#include <librdkafka/rdkafka.h>
#endif
