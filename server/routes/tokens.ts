import { Hono, type Context } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import type { PeopleAuth } from '../auth/people.ts'
import { ForbiddenError } from '../errors.ts'
import type { Person, Store } from '../store/contract.ts'
import { schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { jsonBody, param, shaped } from './request.ts'

/** The person acting; personal tokens belong to people, never to keys. */
function personOf(c: Context<AuthEnv>): Person {
  const identity = c.get('identity')
  if (identity.type !== 'person') throw new ForbiddenError('personal tokens belong to people: sign in as a person (an API key has no tokens)')
  return identity.person
}

/**
 * `/api/v1/tokens`: the signed-in person's own API tokens, for the CLI and automation. The
 * secret is in the creation answer only and is stored as a hash; a token acts with its
 * person's roles at the time of each request (never more), until revoked.
 */
export function tokenRoutes({ store, people }: { store: Store; people: PeopleAuth }) {
  return new Hono<AuthEnv>()
    .get('/', async (c) => c.json(shaped(shapes.personalTokenList, { items: await store.people.tokens(personOf(c).id) })))
    .post('/', async (c) => {
      const person = personOf(c)
      const { name } = await jsonBody(c, schemas.createToken)
      const { token, secret } = await people.createToken(person, name, c.get('actor'))
      return c.json(shaped(shapes.createdToken, { ...token, secret }), 201)
    })
    .delete('/:id', async (c) => c.json(shaped(shapes.personalToken, await people.revokeToken(personOf(c).id, param(c, 'id'), c.get('actor')))))
}
