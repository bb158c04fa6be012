export const PRICING_PACKAGE = '@astrix/pricing';
