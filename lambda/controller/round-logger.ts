/** The round's structured logging sink; compatible with @aws-lambda-powertools/logger's Logger (the CLI logs to stderr). */
export interface RoundLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}
