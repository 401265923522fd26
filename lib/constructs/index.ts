export * from './construct-defaults';
export * from './validation';
export * from './vip-subnet-mapping';
export * from './site-network';
export * from './tcp-service';
export * from './access-logs-bucket';
export * from './viewer';
