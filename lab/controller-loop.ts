/**
 * The controller as the Lambda runs it, on the lab's clock: a round every `intervalSeconds` with the real
 * ELBv2 adapter, the real probes and the lab's state file; between rounds, while a make-before-break switch is
 * pending, the waiting target groups are re-read every 2 s (model time) and the kept target leaves as soon as
 * its replacement is healthy — what lambda/handler.ts does inside one invocation.
 */
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { Elbv2TargetGroups } from '../lambda/adapters/elbv2';
import { followPendingSwitches } from '../lambda/controller/pending-switches';
import { runRound, type RoundResult } from '../lambda/controller/round';
import type { RoundLogger } from '../lambda/controller/round-logger';
import type { ControllerConfig } from '../contract/controller-config';
import type { StateStore } from '../lambda/reconcile/ports';
import type { LabClock } from './clock';

/** What the loop needs. */
export interface ControllerLoopProps {
  readonly config: ControllerConfig;
  readonly stateStore: StateStore;
  /** An SDK client for the lab's ELBv2 endpoint. */
  readonly client: ElasticLoadBalancingV2Client;
  /** The clock of the endpoint's delays and checks. */
  readonly clock: LabClock;
  /** Called after every round (e.g. to print what changed). @default nothing */
  readonly onRound?: (result: RoundResult) => void;
  /** Called when a round throws (an unreadable state file); the loop goes on. @default nothing */
  readonly onError?: (error: unknown) => void;
  /** @default a logger that drops everything */
  readonly logger?: RoundLogger;
}

const FOLLOW_EVERY_MS = 2000;
const SILENT: RoundLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Rounds until {@link stop}. */
export class ControllerLoop {
  private running: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;

  constructor(private readonly props: ControllerLoopProps) {}

  start(): this {
    this.running ??= this.loop();
    return this;
  }

  /** Finishes the round in progress and stops. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { config, clock } = this.props;
    const logger = this.props.logger ?? SILENT;
    const elb = new Elbv2TargetGroups({ client: this.props.client });
    while (!this.stopping) {
      const nextRoundAt = clock.now() + config.intervalSeconds * 1000;
      let pending: RoundResult['pending'] = [];
      try {
        const result = await runRound({ config, stateStore: this.props.stateStore, elb, logger });
        pending = result.pending;
        this.props.onRound?.(result);
      } catch (err) {
        this.props.onError?.(err);
      }
      while (!this.stopping && clock.now() < nextRoundAt) {
        await this.sleep(Math.min(FOLLOW_EVERY_MS, nextRoundAt - clock.now()));
        if (pending.length > 0 && !this.stopping) {
          pending = await followPendingSwitches({ elb, pending, logger }).then(
            (followed) => followed.waiting,
            () => pending,
          );
        }
      }
    }
  }

  /** A sleep on the lab clock that {@link stop} cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.props.clock.setTimer(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        cancel();
        resolve();
      };
    });
  }
}
