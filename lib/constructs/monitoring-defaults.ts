/** Defaults of the System Overview dashboard (the alarm defaults a site can change are in lib/site/monitoring-defaults.ts). */

/** Time range the dashboard opens with. */
export const DEFAULT_DASHBOARD_RANGE_HOURS = 3;
/** Title of the dashboard (the appliance's "System Overview"). */
export const DASHBOARD_TITLE = 'System Overview';
