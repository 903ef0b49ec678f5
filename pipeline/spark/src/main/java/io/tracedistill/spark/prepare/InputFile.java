package io.tracedistill.spark.prepare;

/**
 * One input file as listed before reading: its fully qualified path, size in bytes and modification
 * time (epoch milliseconds). The list of these is the input fingerprint written to the manifest.
 */
public record InputFile(String path, long sizeBytes, long modifiedMillis) {}
