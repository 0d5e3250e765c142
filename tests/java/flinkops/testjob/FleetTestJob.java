/*
 * Copyright: (c) 2026, flinkops.fleet developers
 * GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
 */
package flinkops.testjob;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.serialization.SimpleStringEncoder;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.BasePathBucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.OnCheckpointRollingPolicy;
import org.apache.flink.util.Collector;
import org.apache.flink.util.ParameterTool;

import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Exactly-once probe for flinkops.fleet integration tests.
 *
 * <p>A rate-limited, deterministic sequence source (0, 1, 2, ...; its position is checkpointed) feeds a keyed
 * running count per key {@code seq % keys}; every record is written as {@code seq,key,count} by a FileSink that
 * commits part files only when a checkpoint completes. After any number of cancel / restore-from-checkpoint /
 * stop-with-savepoint cycles the visible output must contain each sequence number 0..max exactly once and, per
 * key, the counts 1..n in sequence order.
 *
 * <p>Arguments: {@code --output DIR} (required), {@code --rate 200}, {@code --keys 8},
 * {@code --checkpoint-interval MS} (0 or {@code --no-checkpointing}: off), {@code --retention retain|delete},
 * {@code --snapshot-delay-ms 0}, {@code --state-bytes 0}, {@code --parallelism N}, {@code --name fleet-test-job},
 * {@code --uid-suffix S} (appended to every operator uid: a snapshot of the job then maps onto no operator),
 * {@code --emit-time} (append the processing time in epoch milliseconds as a fourth field, {@code seq,key,count,ms}:
 * the benchmarks measure the gap in the committed output from it), {@code --random-padding} (fill the padding state of
 * {@code --state-bytes} with random bytes, so compressing snapshots or RocksDB files does not shrink it),
 * {@code --padding-entry-bytes N} (keep the padding as MapState entries of N bytes each instead of one value per key:
 * many small entries, the shape of most real state and the expensive one for canonical savepoints),
 * {@code --fail-once-after-checkpoints N --fail-once-marker FILE} (a job restored from a snapshot fails once, after N
 * of its own checkpoints completed, unless FILE exists; it creates FILE first: a rollback test's restored job
 * checkpoints and then restarts, the job the rollback starts runs on).
 * The source always runs with parallelism 1 so that sequence numbers stay contiguous.
 */
public final class FleetTestJob {

    private FleetTestJob() {
    }

    public static void main(String[] args) throws Exception {
        ParameterTool params = ParameterTool.fromArgs(args);
        String output = params.getRequired("output");
        long rate = params.getLong("rate", 200L);
        int keys = params.getInt("keys", 8);
        long interval = params.getLong("checkpoint-interval", -1L);
        boolean noCheckpointing = params.has("no-checkpointing");
        String retention = params.get("retention", "");
        long snapshotDelayMs = params.getLong("snapshot-delay-ms", 0L);
        long stateBytes = params.getLong("state-bytes", 0L);
        int parallelism = params.getInt("parallelism", -1);
        String name = params.get("name", "fleet-test-job");
        // A different suffix gives every operator another uid, so a snapshot of the job does not map onto it.
        String uidSuffix = params.get("uid-suffix", "");
        boolean emitTime = params.has("emit-time");
        boolean randomPadding = params.has("random-padding");
        int paddingEntryBytes = params.getInt("padding-entry-bytes", 0);
        int failOnceAfter = params.getInt("fail-once-after-checkpoints", 0);
        String failOnceMarker = params.get("fail-once-marker", "");

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (parallelism > 0) {
            env.setParallelism(parallelism);
        }
        if (!noCheckpointing && interval > 0) {
            env.enableCheckpointing(interval, CheckpointingMode.EXACTLY_ONCE);
        }
        if ("retain".equalsIgnoreCase(retention)) {
            env.getCheckpointConfig().setExternalizedCheckpointRetention(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        } else if ("delete".equalsIgnoreCase(retention)) {
            env.getCheckpointConfig().setExternalizedCheckpointRetention(ExternalizedCheckpointRetention.DELETE_ON_CANCELLATION);
        } else if (!retention.isEmpty()) {
            throw new IllegalArgumentException("--retention must be retain or delete, got " + retention);
        }

        DataGeneratorSource<Long> source = new DataGeneratorSource<>(
                new SequenceGenerator(), Long.MAX_VALUE, RateLimiterStrategy.perSecond(rate), Types.LONG);

        DataStream<Long> sequence = env.fromSource(source, WatermarkStrategy.noWatermarks(), "sequence-source")
                .uid("fleet-sequence-source" + uidSuffix)
                .name("sequence-source")
                .setParallelism(1)
                .map(new SlowSnapshot(snapshotDelayMs, failOnceAfter, failOnceMarker))
                .uid("fleet-slow-snapshot" + uidSuffix)
                .name("slow-snapshot")
                .setParallelism(1);

        final int numKeys = keys;
        DataStream<String> counted = sequence
                .keyBy(seq -> seq % numKeys, Types.LONG)
                .process(new RunningCount(stateBytes / Math.max(1, keys), emitTime, randomPadding, paddingEntryBytes))
                .uid("fleet-running-count" + uidSuffix)
                .name("running-count");

        FileSink<String> sink = FileSink
                .forRowFormat(new Path(output), new SimpleStringEncoder<String>("UTF-8"))
                .withBucketAssigner(new BasePathBucketAssigner<>())
                .withRollingPolicy(OnCheckpointRollingPolicy.build())
                .build();
        counted.sinkTo(sink).uid("fleet-file-sink" + uidSuffix).name("file-sink");

        env.execute(name);
    }

    /** index -> index: the sequence numbers themselves. */
    public static final class SequenceGenerator implements GeneratorFunction<Long, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long map(Long index) {
            return index;
        }
    }

    /** Identity map whose snapshots take {@code delayMs}, so checkpoints stay in flight for a while; fails on demand. */
    public static final class SlowSnapshot extends RichMapFunction<Long, Long> implements CheckpointedFunction, CheckpointListener {
        private static final long serialVersionUID = 1L;
        private static final boolean FAIL_HERE = Boolean.getBoolean("fleet.test.fail");
        private final long delayMs;
        private final int failOnceAfter;
        private final String failOnceMarker;
        private transient boolean restored;
        private transient int completedSinceStart;

        public SlowSnapshot(long delayMs, int failOnceAfter, String failOnceMarker) {
            this.delayMs = delayMs;
            this.failOnceAfter = failOnceAfter;
            this.failOnceMarker = failOnceMarker;
        }

        @Override
        public Long map(Long value) throws IOException {
            if (FAIL_HERE) {
                // Failure injection for rollback tests: set -Dfleet.test.fail=true on one cluster's TaskManagers.
                throw new IllegalStateException("injected failure: -Dfleet.test.fail=true on this TaskManager");
            }
            if (restored && failOnceAfter > 0 && completedSinceStart >= failOnceAfter) {
                java.io.File marker = new java.io.File(failOnceMarker);
                if (marker.createNewFile()) {
                    throw new IllegalStateException("injected failure: once, after " + completedSinceStart
                            + " checkpoints of the restored job (marker " + failOnceMarker + ")");
                }
                completedSinceStart = -1;  // failed once already (marker present): never again
            }
            return value;
        }

        @Override
        public void snapshotState(FunctionSnapshotContext context) throws Exception {
            if (delayMs > 0) {
                Thread.sleep(delayMs);
            }
        }

        @Override
        public void initializeState(FunctionInitializationContext context) {
            // stateless: only here to slow down snapshots (and to know whether the job was restored)
            restored = context.isRestored();
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            if (completedSinceStart >= 0) {
                completedSinceStart++;
            }
        }
    }

    /** Running count per key in ValueState, plus optional padding state to make checkpoints large. */
    public static final class RunningCount extends KeyedProcessFunction<Long, Long, String> {
        private static final long serialVersionUID = 1L;
        private final long paddingBytesPerKey;
        private final boolean emitTime;
        private final boolean randomPadding;
        private transient ValueState<Long> count;
        private final int paddingEntryBytes;
        private transient ValueState<byte[]> padding;
        private transient MapState<Integer, byte[]> paddingEntries;

        public RunningCount(long paddingBytesPerKey) {
            this(paddingBytesPerKey, false, false, 0);
        }

        public RunningCount(long paddingBytesPerKey, boolean emitTime, boolean randomPadding, int paddingEntryBytes) {
            this.paddingBytesPerKey = paddingBytesPerKey;
            this.emitTime = emitTime;
            this.randomPadding = randomPadding;
            this.paddingEntryBytes = paddingEntryBytes;
        }

        @Override
        public void open(OpenContext openContext) {
            count = getRuntimeContext().getState(new ValueStateDescriptor<>("count", Types.LONG));
            padding = getRuntimeContext().getState(
                    new ValueStateDescriptor<>("padding", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
            paddingEntries = getRuntimeContext().getMapState(new MapStateDescriptor<>(
                    "padding-entries", Types.INT, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        }

        @Override
        public void processElement(Long seq, Context ctx, Collector<String> out) throws Exception {
            Long current = count.value();
            long next = current == null ? 1L : current + 1L;
            count.update(next);
            // The padding is written once, when the key is first seen: reading it back for every record would cost a
            // full copy of it per record with RocksDB.
            if (paddingBytesPerKey > 0 && current == null) {
                if (paddingEntryBytes > 0) {
                    SplittableRandom random = new SplittableRandom(seq);
                    long entries = (paddingBytesPerKey + paddingEntryBytes - 1) / paddingEntryBytes;
                    for (int i = 0; i < entries; i++) {
                        paddingEntries.put(i, paddingBytes(paddingEntryBytes, seq, random));
                    }
                } else {
                    padding.update(paddingBytes(paddingBytesPerKey, seq, new SplittableRandom(seq)));
                }
            }
            String line = seq + "," + ctx.getCurrentKey() + "," + next;
            out.collect(emitTime ? line + "," + System.currentTimeMillis() : line);
        }

        private byte[] paddingBytes(long size, long seq, SplittableRandom random) {
            byte[] bytes = new byte[(int) Math.min(Integer.MAX_VALUE - 8, size)];
            if (randomPadding) {
                random.nextBytes(bytes);
            } else {
                Arrays.fill(bytes, (byte) (seq & 0x7f));
            }
            return bytes;
        }
    }
}
