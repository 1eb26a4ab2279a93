import java.util.Arrays;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;

/**
 * GEMM and elementwise microbenchmark for choosing ND4J's native classifier (linux-x86_64,
 * -avx2, -avx512): the classifier changes libnd4j's own kernels (elementwise, reductions,
 * softmax); matrix products go to OpenBLAS either way. Shapes are those of the llama-135m and
 * gpt benchmark cases. Float32, one thread (OMP_NUM_THREADS=1). Run by nd4j_classifiers.sh:
 *   java -cp CLASSPATH experiments/bench/Nd4jClassifierBench.java LABEL
 * Prints one line per kernel: median milliseconds over 9 repetitions after 3 warm-ups, of wall time
 * and of the process's CPU time (on a machine shared with other jobs, CPU time of a one-thread run
 * is far less disturbed by the load than wall time; the ratios below use CPU time).
 */
public class Nd4jClassifierBench {
  interface Op {
    void run();
  }

  static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean)
          java.lang.management.ManagementFactory.getOperatingSystemMXBean();

  /** {median wall ms, median process-CPU ms}. */
  static double[] medianMs(Op op) {
    for (int i = 0; i < 3; i++) {
      op.run();
    }
    double[] wall = new double[9];
    double[] cpu = new double[9];
    for (int i = 0; i < wall.length; i++) {
      long c0 = OS.getProcessCpuTime();
      long t0 = System.nanoTime();
      op.run();
      wall[i] = (System.nanoTime() - t0) / 1e6;
      cpu[i] = (OS.getProcessCpuTime() - c0) / 1e6;
    }
    Arrays.sort(wall);
    Arrays.sort(cpu);
    return new double[] {wall[wall.length / 2], cpu[cpu.length / 2]};
  }

  static void gemm(String label, int m, int k, int n) {
    // Column-major operands and output: no layout copies before BLAS (see real-models.md).
    INDArray a = Nd4j.rand(DataType.FLOAT, m, k).dup('f');
    INDArray b = Nd4j.rand(DataType.FLOAT, k, n).dup('f');
    INDArray c = Nd4j.create(DataType.FLOAT, new long[] {m, n}, 'f');
    double[] ms = medianMs(() -> a.mmuli(b, c));
    System.out.printf(
        Locale.ROOT, "%s gemm %dx%dx%d: wall %.2f ms, cpu %.2f ms, %.1f GFLOP/s (cpu)%n", label, m,
        k, n, ms[0], ms[1], 2.0 * m * k * n / ms[1] / 1e6);
  }

  static void elementwise(String label, String name, long elements, Op op) {
    double[] ms = medianMs(op);
    System.out.printf(
        Locale.ROOT, "%s %s (%,d elements): wall %.2f ms, cpu %.2f ms, %.2f Gelem/s (cpu)%n", label,
        name, elements, ms[0], ms[1], elements / ms[1] / 1e6);
  }

  public static void main(String[] args) {
    String label = args.length > 0 ? args[0] : "nd4j";
    Nd4j.getRandom().setSeed(1);
    // Which native kernels and BLAS this process really mapped (the classifier's jar decides).
    try {
      java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/maps")).stream()
          .filter(l -> l.contains("libnd4jcpu") || l.contains("libopenblas"))
          .map(l -> l.substring(l.indexOf('/')))
          .distinct()
          .forEach(f -> System.out.println(label + " mapped " + f));
    } catch (java.io.IOException e) {
      System.out.println(label + " cannot read /proc/self/maps");
    }
    gemm(label, 512, 576, 1536);
    gemm(label, 512, 576, 576);
    gemm(label, 512, 576, 49152);
    gemm(label, 1024, 128, 512);
    gemm(label, 16, 576, 49152);

    INDArray x = Nd4j.rand(DataType.FLOAT, 512, 1536);
    INDArray y = Nd4j.rand(DataType.FLOAT, 512, 1536);
    INDArray out = Nd4j.create(DataType.FLOAT, 512, 1536);
    INDArray row = Nd4j.rand(DataType.FLOAT, 1, 1536);
    long n = x.length();
    elementwise(label, "add", n, () -> x.add(y, out));
    elementwise(label, "mul", n, () -> x.mul(y, out));
    elementwise(label, "broadcast add row", n, () -> x.addRowVector(row));
    elementwise(label, "exp", n, () -> Nd4j.exec(new Exp(x, out)));
    elementwise(label, "sigmoid", n, () -> Nd4j.exec(new Sigmoid(x, out)));
    elementwise(label, "tanh", n, () -> Nd4j.exec(new Tanh(x, out)));
    elementwise(label, "gelu", n, () -> Nd4j.exec(new GELU(x, out)));
    elementwise(label, "sum over rows", n, () -> x.sum(1));
    elementwise(label, "sum of squares over rows", n, () -> x.norm2(1));

    INDArray logits = Nd4j.rand(DataType.FLOAT, 256, 49152);
    INDArray probs = Nd4j.create(DataType.FLOAT, 256, 49152);
    long ln = logits.length();
    elementwise(label, "softmax [256 x 49152]", ln, () -> Nd4j.exec(new SoftMax(logits, probs, 1)));
    elementwise(label, "max over vocab [256 x 49152]", ln, () -> logits.max(1));
    elementwise(label, "exp [256 x 49152]", ln, () -> Nd4j.exec(new Exp(logits, probs)));
  }
}
