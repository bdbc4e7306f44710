import { Hono } from 'hono'
import type { AuthEnv } from '../auth/api-key.ts'
import { passwordProblem } from '../auth/password.ts'
import type { PeopleAuth } from '../auth/people.ts'
import { ValidationError } from '../errors.ts'
import type { Store } from '../store/contract.ts'
import { schemas } from '../validation.ts'
import * as shapes from '../../api-shapes/index.ts'
import { jsonBody, param, shaped } from './request.ts'

/**
 * `/api/v1/members`: people and their roles, for global admins (people or global admin keys;
 * the app's guard checks `members`). Passwords go in, never out. Removing a person ends their
 * sessions and tokens at once, here and on every replica; a role change holds from the
 * person's next request (rights are read per request).
 */
export function memberRoutes({ store, people }: { store: Store; people: PeopleAuth }) {
  return new Hono<AuthEnv>()
    .get('/', async (c) => c.json(shaped(shapes.personList, { items: await store.people.list() })))
    .post('/', async (c) => {
      const input = await jsonBody(c, schemas.createMember)
      const person = await people.createPerson(
        { email: input.email, name: input.name, admin: input.admin ?? false, roles: input.roles ?? [], password: input.password },
        c.get('actor'),
      )
      return c.json(shaped(shapes.person, person), 201)
    })
    .get('/:id', async (c) => c.json(shaped(shapes.person, await store.people.get(param(c, 'id')))))
    .patch('/:id', async (c) => {
      const id = param(c, 'id')
      const input = await jsonBody(c, schemas.updateMember)
      const { password, ...patch } = input
      await store.people.get(id) // 404 before any change
      // Every refusal before any change: a short password (400), then the rest of the patch
      // (a 409 for the last global admin's flag) before the password is set.
      const problem = password === undefined ? undefined : passwordProblem(password)
      if (problem) throw new ValidationError(problem)
      const person = Object.keys(patch).length > 0 ? await people.updatePerson(id, patch, c.get('actor')) : await store.people.get(id)
      if (password !== undefined) await people.setPassword(id, password, c.get('actor'))
      return c.json(shaped(shapes.person, person))
    })
    .delete('/:id', async (c) => {
      await people.removePerson(param(c, 'id'), c.get('actor'))
      return c.body(null, 204)
    })
}
