package io.personalize.jobs.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time and resident memory of local processes, read from Linux's {@code /proc}: what the
 * benchmark charges to the job (the Flink processes), next to the broker's share.
 */
final class ProcessUsage {
    private final long clockTicksPerSecond;

    ProcessUsage(long clockTicksPerSecond) {
        this.clockTicksPerSecond = clockTicksPerSecond;
    }

    /** User plus system CPU time of the processes so far, in ms (a process that is gone counts 0). */
    long cpuMillis(List<Long> pids) {
        long ticks = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
                // fields after the command name, which is in parentheses and may hold spaces
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
            } catch (IOException | RuntimeException e) {
                // the process ended
            }
        }
        return ticks * 1000 / clockTicksPerSecond;
    }

    /** Resident set size of a process in MiB, or -1 when it cannot be read. */
    static double residentMib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process ended
        }
        return -1;
    }
}
