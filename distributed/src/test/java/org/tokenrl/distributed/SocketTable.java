package org.tokenrl.distributed;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The machine's listening TCP sockets as the Linux kernel reports them ({@code /proc/net/tcp} and
 * {@code tcp6}), with the process owning each one (found through the socket inodes in {@code
 * /proc/PID/fd}). Independent of Ray: what {@code ss -ltnp} shows.
 */
final class SocketTable {
  /** One listening socket: its bound address and port, and the owning process. */
  record Listener(InetAddress address, int port, long pid, String command) {
    boolean loopback() {
      return address.isLoopbackAddress();
    }

    @Override
    public String toString() {
      String cmd = command.length() > 100 ? command.substring(0, 100) + "..." : command;
      return address.getHostAddress() + ":" + port + " (pid " + pid + " " + cmd + ")";
    }
  }

  private static final String LISTEN = "0A";

  private SocketTable() {}

  /** Every TCP socket in LISTEN state owned by one of {@code pids}. */
  static List<Listener> listenersOf(Set<Long> pids) throws IOException {
    Map<Long, Long> inodeToPid = new HashMap<>();
    for (long pid : pids) {
      Path fds = Path.of("/proc", Long.toString(pid), "fd");
      try (DirectoryStream<Path> dir = Files.newDirectoryStream(fds)) {
        for (Path fd : dir) {
          try {
            String target = Files.readSymbolicLink(fd).toString();
            if (target.startsWith("socket:[")) {
              inodeToPid.put(Long.parseLong(target.substring(8, target.length() - 1)), pid);
            }
          } catch (IOException e) {
            // The descriptor closed meanwhile.
          }
        }
      } catch (IOException e) {
        // The process exited meanwhile.
      }
    }
    List<Listener> out = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines = Files.readAllLines(Path.of(table));
      for (String line : lines.subList(1, lines.size())) {
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
        String[] f = line.trim().split("\\s+");
        if (!f[3].equals(LISTEN)) {
          continue;
        }
        Long pid = inodeToPid.get(Long.parseLong(f[9]));
        if (pid != null) {
          String[] local = f[1].split(":");
          out.add(
              new Listener(address(local[0]), Integer.parseInt(local[1], 16), pid, command(pid)));
        }
      }
    }
    return out;
  }

  /**
   * The kernel prints an address as 32-bit words in host (little-endian) byte order: one word for
   * IPv4, four for IPv6.
   */
  static InetAddress address(String hex) throws UnknownHostException {
    byte[] bytes = new byte[hex.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      for (int b = 0; b < 4; b++) {
        int at = (word * 4 + (3 - b)) * 2;
        bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
      }
    }
    // Java maps ::ffff:a.b.c.d to an Inet4Address itself.
    return InetAddress.getByAddress(bytes);
  }

  /** The whole command line (ProcessHandle.Info cuts long ones short). */
  private static String command(long pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      return new String(raw, java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ').strip();
    } catch (IOException e) {
      return "?";
    }
  }
}
