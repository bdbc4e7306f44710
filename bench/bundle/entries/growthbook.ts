// Bundle-size entry: construct the client and ask one flag, as an app would.
import { GrowthBook } from '@growthbook/growthbook'

export const flags = new GrowthBook({
  apiHost: 'https://flags.example.com',
  clientKey: 'bench',
  attributes: { id: 'u1' },
})
void flags.init()
export const on = flags.isOn('checkout-v2')
