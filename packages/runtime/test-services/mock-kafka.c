/*
 * mock-kafka: a Kafka-protocol mock cluster for integration tests.
 *
 * Creates librdkafka's mock cluster (rdkafka_mock.h) with N brokers
 * (argv[1], default 1), prints one line
 *
 *     BOOTSTRAP 127.0.0.1:40123,127.0.0.1:40125,...
 *
 * to stdout, then reads commands from stdin, one per line, and answers each
 * with one line, "OK" or "ERR <reason>":
 *
 *     create-topic <name> <partitions> [<replication-factor>]
 *     broker-down <id>                 (-1: all brokers; ids start at 1)
 *     broker-up <id>
 *     partition-leader <topic> <partition> <broker-id>
 *     broker-rtt <id> <ms>
 *     ping
 *     quit
 *
 * It exits 0 on "quit", on stdin EOF (so it dies with the process that
 * started it) and on SIGTERM/SIGINT.
 *
 * Build: cc -O2 -o mock-kafka mock-kafka.c -lrdkafka   (Debian: librdkafka-dev)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
        (void)sig;
        stop_requested = 1;
}

static void reply(rd_kafka_resp_err_t err) {
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
                printf("OK\n");
        else
                printf("ERR %s (%s)\n", rd_kafka_err2str(err),
                       rd_kafka_err2name(err));
        fflush(stdout);
}

static void reply_error(const char *reason) {
        printf("ERR %s\n", reason);
        fflush(stdout);
}

int main(int argc, char **argv) {
        char errstr[512];
        char line[1024];
        int brokers = 1;
        struct sigaction sa;

        if (argc > 1) {
                brokers = atoi(argv[1]);
                if (brokers < 1 || brokers > 64) {
                        fprintf(stderr,
                                "usage: %s [brokers 1..64]\n", argv[0]);
                        return 2;
                }
        }

#ifdef __linux__
        /* Die with the parent even if it is killed with SIGKILL. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal; /* no SA_RESTART: fgets returns on EINTR */
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        /* The mock cluster needs an rd_kafka_t for its book keeping. */
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "log_level", "3", errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "mock-kafka: %s\n", errstr);
                return 1;
        }
        rd_kafka_t *rk =
            rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "mock-kafka: rd_kafka_new: %s\n", errstr);
                return 1;
        }

        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) {
                fprintf(stderr, "mock-kafka: rd_kafka_mock_cluster_new failed\n");
                rd_kafka_destroy(rk);
                return 1;
        }

        printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);

        while (!stop_requested) {
                char name[512];
                int a = 0, b = 0, c = 0;

                if (!fgets(line, sizeof(line), stdin)) {
                        if (ferror(stdin) && errno == EINTR && !stop_requested) {
                                clearerr(stdin);
                                continue;
                        }
                        break; /* EOF or signal */
                }
                line[strcspn(line, "\r\n")] = '\0';
                if (line[0] == '\0')
                        continue;

                if (!strcmp(line, "quit")) {
                        printf("OK\n");
                        fflush(stdout);
                        break;
                } else if (!strcmp(line, "ping")) {
                        printf("OK\n");
                        fflush(stdout);
                } else if (!strncmp(line, "create-topic ", 13)) {
                        int n = sscanf(line + 13, "%511s %d %d", name, &a, &b);
                        if (n < 2 || a < 1)
                                reply_error("usage: create-topic <name> "
                                            "<partitions> [<replication>]");
                        else
                                reply(rd_kafka_mock_topic_create(
                                    mc, name, a, n >= 3 ? b : 1));
                } else if (!strncmp(line, "broker-down ", 12)) {
                        if (sscanf(line + 12, "%d", &a) != 1)
                                reply_error("usage: broker-down <id>");
                        else
                                reply(rd_kafka_mock_broker_set_down(mc, a));
                } else if (!strncmp(line, "broker-up ", 10)) {
                        if (sscanf(line + 10, "%d", &a) != 1)
                                reply_error("usage: broker-up <id>");
                        else
                                reply(rd_kafka_mock_broker_set_up(mc, a));
                } else if (!strncmp(line, "partition-leader ", 17)) {
                        if (sscanf(line + 17, "%511s %d %d", name, &a, &b) != 3)
                                reply_error("usage: partition-leader <topic> "
                                            "<partition> <broker-id>");
                        else
                                reply(rd_kafka_mock_partition_set_leader(
                                    mc, name, a, b));
                } else if (!strncmp(line, "broker-rtt ", 11)) {
                        if (sscanf(line + 11, "%d %d", &a, &c) != 2)
                                reply_error("usage: broker-rtt <id> <ms>");
                        else
                                reply(rd_kafka_mock_broker_set_rtt(mc, a, c));
                } else {
                        reply_error("unknown command (create-topic, "
                                    "broker-down, broker-up, partition-leader, "
                                    "broker-rtt, ping, quit)");
                }
        }

        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
