// Create an account: the server's rules (a password of 10 characters or more, a free email)
// come back as field errors next to the fields.
import { signUp } from '../api.js';
import { returnAfterSignIn } from '../app.js';
import { busy, field, h, mount, showError } from '../ui.js';

export default function render(main) {
	const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
	const name = h('input', { type: 'text', name: 'display_name', autocomplete: 'name', maxlength: 100 });
	const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 10 });
	const submit = h('button', { type: 'submit' }, 'Create account');
	const form = h('form', { class: 'card auth-form', novalidate: true },
		field('Email', email),
		field('Name (optional)', name),
		field('Password', password, { hint: 'At least 10 characters.' }),
		h('div', { class: 'actions' }, submit));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		try {
			await busy(submit, signUp(email.value.trim(), password.value, name.value.trim()));
			returnAfterSignIn();
		} catch (e) {
			showError(e, form);
		}
	});
	mount(main, h('section', { class: 'auth' },
		h('h1', {}, 'Create an account'),
		form,
		h('p', {}, 'Already have one? ', h('a', { href: '#/signin' }, 'Sign in'))));
	email.focus();
	main.dataset.focusOnRender = 'no';
}
