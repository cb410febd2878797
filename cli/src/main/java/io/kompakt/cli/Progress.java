package io.kompakt.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** The progress bars of long commands: on stderr, ASCII, with rate and ETA. */
final class Progress {
  private Progress() {}

  static ProgressBar bar(String task, long max) {
    return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII).showSpeed()
        .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
  }
}
